"""The operators' web app: FastAPI routers, Jinja2 templates (Arabic RTL first), no front-end build step."""
