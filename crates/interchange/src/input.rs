//! The byte layer under every reader: counts and hashes the raw bytes (SHA-256), enforces the
//! size limit, detects the encoding (UTF-8 with or without BOM, else Windows-1252) from the first
//! block, and decodes to UTF-8 as a stream. Conditions that reject the file are kept in `fatal` so
//! they win over whatever parse error they cause downstream.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use encoding_rs::{DecoderResult, Encoding, UTF_8, WINDOWS_1252};
use sha2::{Digest, Sha256};

use crate::FileError;

/// How many bytes are looked at to detect the encoding and the format.
pub(crate) const SNIFF_BYTES: usize = 64 * 1024;

/// Counts, hashes and limits the raw bytes.
pub(crate) struct Counting<R> {
    inner: R,
    hasher: Sha256,
    pub bytes: u64,
    max: u64,
    pub fatal: Option<FileError>,
}

impl<R: Read> Counting<R> {
    pub fn new(inner: R, max: u64) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            max,
            fatal: None,
        }
    }

    /// Reads the rest of the input (so the hash covers the whole file) and returns the hex hash.
    pub fn finish(mut self) -> Result<(u64, String), FileError> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match self.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.fatal.take().unwrap_or(FileError::Io(e.to_string()))),
            }
        }
        let digest = self.hasher.finalize();
        let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok((self.bytes, hex))
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.fatal.is_some() {
            return Err(io::Error::other("the file was rejected"));
        }
        let n = self.inner.read(buf)?;
        if self.bytes + n as u64 > self.max {
            self.fatal = Some(FileError::TooLarge {
                what: "bytes".into(),
                limit: self.max,
            });
            return Err(io::Error::other("the file is too large"));
        }
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// What the first block says about the encoding.
pub(crate) struct Sniffed {
    pub head: Vec<u8>,
    pub encoding: &'static Encoding,
    pub bom: bool,
    pub warning: Option<String>,
}

/// Reads the first block and decides the encoding; rejects empty, UTF-16 and binary files.
pub(crate) fn sniff<R: Read>(input: &mut Counting<R>) -> Result<Sniffed, FileError> {
    let mut head = vec![0u8; SNIFF_BYTES];
    let mut len = 0;
    while len < head.len() {
        match input.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(input.fatal.take().unwrap_or(FileError::Io(e.to_string()))),
        }
    }
    head.truncate(len);
    let at_eof = len < SNIFF_BYTES;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::Encoding {
            offset: 0,
            reason: "the file is encoded as UTF-16, which is not accepted; save it as UTF-8 \
                     (or Windows-1252)"
                .into(),
        });
    }
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let body = if bom { &head[3..] } else { &head[..] };
    if body.iter().all(|b| b.is_ascii_whitespace()) && at_eof {
        return Err(FileError::Empty);
    }
    if let Some(pos) = body.iter().position(|&b| b == 0) {
        return Err(binary(pos as u64 + u64::from(bom) * 3));
    }
    let controls = body
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A))
        .count();
    if controls >= 4 && controls * 100 > body.len() {
        return Err(FileError::Binary {
            offset: 0,
            reason: format!(
                "{controls} control characters in the first {} bytes; this does not look like \
                 a text file",
                body.len()
            ),
        });
    }
    let utf8 = match std::str::from_utf8(body) {
        Ok(_) => true,
        // A character cut off by the end of the block is fine.
        Err(e) => e.error_len().is_none() && !at_eof,
    };
    if bom || utf8 {
        return Ok(Sniffed {
            head,
            encoding: UTF_8,
            bom,
            warning: None,
        });
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(body, at_eof);
    let guess = det.guess(None, false);
    let warning = (guess != WINDOWS_1252).then(|| {
        format!(
            "the file is not UTF-8; it was read as Windows-1252, although its content also \
             resembles {}: check accented letters",
            guess.name()
        )
    });
    Ok(Sniffed {
        head,
        encoding: WINDOWS_1252,
        bom: false,
        warning,
    })
}

fn binary(offset: u64) -> FileError {
    FileError::Binary {
        offset,
        reason: "it contains a NUL byte; this does not look like a text file".into(),
    }
}

/// Decodes to UTF-8 as a stream; counts the newlines handed out (for line numbers).
pub(crate) struct Decoding<R> {
    src: R,
    decoder: encoding_rs::Decoder,
    inbuf: Vec<u8>,
    in_pos: usize,
    in_len: usize,
    out: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    eof: bool,
    finished: bool,
    /// Raw bytes consumed so far.
    offset: u64,
    pub lines: Rc<Cell<u64>>,
    pub fatal: Option<FileError>,
}

impl<R: Read> Decoding<R> {
    pub fn new(src: R, encoding: &'static Encoding) -> Self {
        Self {
            src,
            decoder: encoding.new_decoder_with_bom_removal(),
            inbuf: vec![0; 16 * 1024],
            in_pos: 0,
            in_len: 0,
            out: vec![0; 64 * 1024],
            out_pos: 0,
            out_len: 0,
            eof: false,
            finished: false,
            offset: 0,
            lines: Rc::new(Cell::new(0)),
            fatal: None,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        self.out_pos = 0;
        self.out_len = 0;
        while !self.finished {
            if self.in_pos == self.in_len && !self.eof {
                let n = loop {
                    match self.src.read(&mut self.inbuf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                };
                self.in_pos = 0;
                self.in_len = n;
                self.eof = n == 0;
            }
            let (res, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.inbuf[self.in_pos..self.in_len],
                &mut self.out[self.out_len..],
                self.eof,
            );
            let start = self.out_len;
            self.in_pos += read;
            self.offset += read as u64;
            self.out_len += written;
            if let Some(p) = self.out[start..self.out_len].iter().position(|&b| b == 0) {
                let at = self.offset - read as u64 + p as u64;
                self.fatal = Some(binary(at));
                return Err(io::Error::other("NUL byte"));
            }
            match res {
                DecoderResult::Malformed(..) => {
                    self.fatal = Some(FileError::Encoding {
                        offset: self.offset,
                        reason: "the file starts as UTF-8 but has an invalid byte sequence \
                                 here; save the whole file as UTF-8 (or Windows-1252)"
                            .into(),
                    });
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "invalid UTF-8"));
                }
                DecoderResult::OutputFull => return Ok(()),
                DecoderResult::InputEmpty => {
                    if self.eof {
                        self.finished = true;
                    }
                    if self.out_len > 0 {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // serde_json reads one byte at a time.
        if let [one] = buf
            && self.out_pos < self.out_len
        {
            *one = self.out[self.out_pos];
            self.out_pos += 1;
            if *one == b'\n' {
                self.lines.set(self.lines.get() + 1);
            }
            return Ok(1);
        }
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Decoding<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.out_pos == self.out_len {
            self.fill()?;
        }
        Ok(&self.out[self.out_pos..self.out_len])
    }

    fn consume(&mut self, amt: usize) {
        let end = (self.out_pos + amt).min(self.out_len);
        let nl = self.out[self.out_pos..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.lines.set(self.lines.get() + nl as u64);
        self.out_pos = end;
    }
}
