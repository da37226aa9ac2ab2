//! Report writers (in progress).
