"""What people write (诉求分析): case texts cleaned of personal data, emerging clusters, hot words and the category
classifier. Nothing here imports streamlit; texts come from data_access.queries.text_queries."""
