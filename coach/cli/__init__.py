"""The command line: one module per subcommand, named after it; `main` dispatches."""
