//! The binary database dumps pipl-scan cannot read (pg_dump custom archives, SQL Server
//! backups, Oracle exports), told by their first bytes, and what to do with them instead.

/// A binary database dump that pipl-scan cannot read, with what to do instead; `None` if
/// `head` is not one.
pub fn binary_dump_message(head: &[u8]) -> Option<String> {
    if head.starts_with(b"PGDMP") {
        return Some(
            "pg_dump custom/directory/tar archive (PGDMP): not readable as is; convert it to a \
             plain SQL dump with `pg_restore -f out.sql DUMP` (or dump again with \
             `pg_dump -Fp`) and scan out.sql"
                .to_string(),
        );
    }
    if head.starts_with(b"TAPE") {
        return Some(
            "SQL Server backup (.bak, Microsoft Tape Format): not readable; restore it and export \
             the tables (e.g. `bcp` or `sqlcmd` to CSV), or scan a plain SQL script of the data"
                .to_string(),
        );
    }
    let head16 = &head[..head.len().min(64)];
    if memchr::memmem::find(head16, b"EXPORT:V").is_some() {
        return Some(
            "Oracle export dump (exp/expdp): not readable; export the tables as SQL INSERT \
             scripts or CSV (e.g. SQL Developer or `sqlplus` spool) and scan those"
                .to_string(),
        );
    }
    None
}
