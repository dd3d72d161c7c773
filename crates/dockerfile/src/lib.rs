//! Dockerfile parser (pure, no I/O) and .dockerignore matching
