"""Works with no network: the outbox page, the service worker's configuration, versioned and compressed static
files, and the small endpoints the outbox needs (connectivity, a fresh CSRF token)."""
