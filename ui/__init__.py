"""Streamlit helpers shared by the pages: engine and cached queries, identity, filters, formats, charts, exports."""
