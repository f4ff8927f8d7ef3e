-- 006: the marks of a full re-sync (ADR 0012). When the depot says this phone's cursor
-- expired (it pruned deletions the phone never saw), every record held from the depot is
-- marked here and the feed is pulled again from 0; each record it sends is unmarked, and what
-- is still marked when the feed is drained is removed. The marks outlive a kill or a lost
-- connection: the next sync resumes the re-sync and sweeps at its end.
CREATE TABLE sweep_marks (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
