"""The two abstract-namespace sockets named after the data dir: doorbell and queries."""
