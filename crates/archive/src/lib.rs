//! Layer tarballs: tar reading/writing, decompression, applying layers safely, computing diffs
