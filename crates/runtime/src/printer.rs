//! Where output goes, in text or JSON, through `sonde_output`'s formatters.

use std::io::{self, Write};

use sonde_output::{json, text, MapDump, Value};

use crate::options::OutputFormat;

pub(crate) struct Printer<'w> {
    format: OutputFormat,
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
}

/// One NDJSON record: the formatter's object and a newline.
fn line(mut record: String) -> String {
    if !record.ends_with('\n') {
        record.push('\n');
    }
    record
}

impl<'w> Printer<'w> {
    pub fn new(
        format: OutputFormat,
        out: &'w mut dyn Write,
        err: &'w mut dyn Write,
    ) -> Printer<'w> {
        Printer { format, out, err }
    }

    pub fn printf(&mut self, formatted: &str) -> io::Result<()> {
        match self.format {
            OutputFormat::Text => self.out.write_all(formatted.as_bytes()),
            OutputFormat::Json => self
                .out
                .write_all(line(json::format_printf(formatted)).as_bytes()),
        }
    }

    /// Text an action produced (`time`, `cat`, `join`, `system`): as it
    /// is, or in JSON a message of type `kind`.
    pub fn text(&mut self, kind: &str, text: &str) -> io::Result<()> {
        match self.format {
            OutputFormat::Text => self.out.write_all(text.as_bytes()),
            OutputFormat::Json => self
                .out
                .write_all(line(json::format_text(kind, text)).as_bytes()),
        }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    pub fn value(&mut self, value: &Value) -> io::Result<()> {
        let record = match self.format {
            OutputFormat::Text => text::format_value_line(value),
            OutputFormat::Json => line(json::format_value(value)),
        };
        self.out.write_all(record.as_bytes())
    }

    /// A map, unless it is empty (bpftrace prints nothing for those).
    pub fn map(&mut self, dump: &MapDump, top: Option<usize>, div: Option<u64>) -> io::Result<()> {
        if dump.entries.is_empty() {
            return Ok(());
        }
        let record = match self.format {
            OutputFormat::Text => text::format_map(dump, top, div),
            OutputFormat::Json => line(json::format_map(dump, top, div)),
        };
        self.out.write_all(record.as_bytes())
    }

    pub fn attached(&mut self, probes: usize) -> io::Result<()> {
        match self.format {
            OutputFormat::Text => self.err.write_all(text::format_attached(probes).as_bytes()),
            OutputFormat::Json => self
                .out
                .write_all(line(json::format_attached(probes)).as_bytes()),
        }
    }

    pub fn lost_events(&mut self, lost: u64) -> io::Result<()> {
        match self.format {
            OutputFormat::Text => self
                .err
                .write_all(text::format_lost_events(lost).as_bytes()),
            OutputFormat::Json => self
                .out
                .write_all(line(json::format_lost_events(lost)).as_bytes()),
        }
    }

    /// One benchmark's result: a row of the table (after its header, for
    /// the first), or one JSON record.
    pub fn benchmark(
        &mut self,
        names: &[&str],
        index: usize,
        average_ns: u64,
        iters: u64,
    ) -> io::Result<()> {
        let record = match self.format {
            OutputFormat::Text => text::format_benchmark(names, index, average_ns, iters),
            OutputFormat::Json => line(json::format_benchmark(
                names.get(index).copied().unwrap_or(""),
                average_ns,
                iters,
            )),
        };
        self.out.write_all(record.as_bytes())
    }

    /// What bpftrace writes when the main loop ends, before the maps: two
    /// empty lines in text, nothing in JSON.
    pub fn end(&mut self) -> io::Result<()> {
        match self.format {
            OutputFormat::Text => self.out.write_all(b"\n\n"),
            OutputFormat::Json => Ok(()),
        }
    }

    /// A line on the output stream, in no format (bpftrace's notify line).
    pub fn raw_line(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{text}")
    }

    /// A line on stderr.
    pub fn diagnostic(&mut self, message: &str) -> io::Result<()> {
        writeln!(self.err, "{message}")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.err.flush()
    }
}
