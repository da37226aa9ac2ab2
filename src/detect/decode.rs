//! Decoding of escaped and full-width text (see ): in progress.
