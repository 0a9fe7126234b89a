"""Property and fuzz tests (hypothesis) over every parser: names, years, phones, webhook form, CSV, menus."""
