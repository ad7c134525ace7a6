/** SPEC §5 "Your data": the archive's format name and version, and what POST /api/import answers. */
import { z } from "zod";

/** manifest.json's `format` and `version` (README, Your data). */
export const EXPORT_FORMAT = "continuum-export";
/**
 * The version this build writes. 2: every record carries every wire field
 * (nullable ones as null). Version 1 archives were written while fields were
 * still being added (an inbox item's `done_at`/`archived_at`, a device's
 * name…), so one may lack a field that is nullable now: an import fills it
 * with null. A later field that is not nullable, or a renamed one, needs a new
 * version and its own fill (data/import.ts `upgrade`).
 */
export const EXPORT_VERSION = 2;
/** The versions an import reads. */
export const IMPORT_VERSIONS: readonly number[] = [1, 2];

const perType = z.record(z.string(), z.number());

export const importReportSchema = z
  .object({
    imported: perType.meta({ description: "Records written by this import, per record type" }),
    existing: perType.meta({ description: "Records already there (a repeated or resumed import), per type" }),
    skipped: z
      .record(z.string(), z.object({ count: z.number(), reason: z.string() }))
      .meta({ description: "Record types or records not imported, and why" }),
    remapped: perType.meta({ description: "Records given a new id because another user holds theirs, per type" }),
    audio: z.object({
      stored: z.number(),
      already_stored: z.number(),
      without_record: z.number(),
    }),
  })
  .meta({ id: "ImportReport" });
export type ImportReport = z.infer<typeof importReportSchema>;
