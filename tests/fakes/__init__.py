"""Local fake HTTP servers (127.0.0.1) that real SDKs are pointed at with ``base_url``."""
