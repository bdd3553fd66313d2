"""Sidebar choices bound to the URL (`?period=2025-03`) that keep their value from page to page.

Streamlit drops a page's bound query parameters when the user switches page, and the first run of the new page
may then fall back to the widget's default although the session still holds the choice. Writing the held value
back through session state before the widget is drawn makes it win (Streamlit writes it into the URL again);
a value that is no longer among the options is reset by Streamlit as usual.
"""
import streamlit as st


def select(container, label: str, options, key: str, **kwargs):
    """A selectbox bound to the query parameter `key`, kept for the session."""
    if st.session_state.get(key) is not None:
        st.session_state[key] = st.session_state[key]
    return container.selectbox(label, options, key=key, bind="query-params", persist_state="session", **kwargs)
