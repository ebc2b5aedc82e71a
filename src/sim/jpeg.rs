//! A small baseline JPEG encoder, written by hand so the simulator needs no image library: 8-bit
//! YCbCr without subsampling (4:4:4), one flat quantisation table, and Huffman tables of our own that
//! give every symbol baseline JPEG can need a code of fixed length (4 bits for DC sizes, 8 bits for
//! AC run/size pairs). The files are larger than a tuned encoder's but plain JFIF that every decoder
//! reads; the simulator only draws small pictures.

/// Every entry of the quantisation table. With 4, no coefficient needs more than 10 bits after
/// quantisation, the most baseline JPEG allows for AC values.
const QUANT: u8 = 4;

/// The order in which a block's coefficients are written.
const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// A Huffman table in which every symbol has a code of the same length: `symbols[i]` gets code `i`.
struct Table {
    length: u8,
    symbols: Vec<u8>,
}

impl Table {
    /// DC: the size category 0..=11 of a difference, in 4 bits.
    fn dc() -> Table {
        Table {
            length: 4,
            symbols: (0..=11).collect(),
        }
    }

    /// AC: end of block (0x00), sixteen zeros (0xF0), and every run 0..=15 with size 1..=10, in
    /// 8 bits (162 codes of the 255 that are not all ones).
    fn ac() -> Table {
        let mut symbols = vec![0x00, 0xf0];
        for run in 0..16u8 {
            symbols.extend((1..=10u8).map(|size| (run << 4) | size));
        }
        Table { length: 8, symbols }
    }

    fn code(&self, symbol: u8) -> (u32, u32) {
        let index = self
            .symbols
            .iter()
            .position(|&s| s == symbol)
            .expect("every symbol baseline JPEG uses has a code");
        (index as u32, u32::from(self.length))
    }

    /// The DHT payload of this table: class and id, then the count of codes of each length 1..=16,
    /// then the symbols.
    fn segment(&self, class_and_id: u8) -> Vec<u8> {
        let mut counts = [0u8; 16];
        counts[usize::from(self.length) - 1] = self.symbols.len() as u8;
        let mut out = vec![class_and_id];
        out.extend_from_slice(&counts);
        out.extend_from_slice(&self.symbols);
        out
    }
}

/// Writes bits most significant first, with a 0x00 after every 0xFF byte of entropy-coded data.
struct Bits {
    out: Vec<u8>,
    acc: u32,
    used: u32,
}

impl Bits {
    fn put(&mut self, value: u32, bits: u32) {
        for i in (0..bits).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1);
            self.used += 1;
            if self.used == 8 {
                let byte = self.acc as u8;
                self.out.push(byte);
                if byte == 0xff {
                    self.out.push(0);
                }
                self.acc = 0;
                self.used = 0;
            }
        }
    }

    /// Pads the last byte with one bits.
    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            let fill = 8 - self.used;
            self.put((1 << fill) - 1, fill);
        }
        self.out
    }
}

/// Size category of a coefficient and its bits as JPEG writes them (negative values as v − 1).
fn category(value: i32) -> (u32, u32) {
    let size = 32 - value.unsigned_abs().leading_zeros();
    let bits = if value < 0 {
        (value - 1) as u32 & ((1 << size) - 1)
    } else {
        value as u32
    };
    (size, bits)
}

/// `cos[u][x]` = cos((2x + 1)uπ / 16), the DCT's basis.
fn cos_table() -> [[f64; 8]; 8] {
    let mut cos = [[0.0; 8]; 8];
    for (u, row) in cos.iter_mut().enumerate() {
        for (x, c) in row.iter_mut().enumerate() {
            *c = ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0).cos();
        }
    }
    cos
}

/// The quantised DCT of one 8×8 block of samples (0..=255), in natural order.
fn transform(block: &[f64; 64], cos: &[[f64; 8]; 8]) -> [i32; 64] {
    let mut rows = [0.0; 64];
    for y in 0..8 {
        for u in 0..8 {
            rows[y * 8 + u] = (0..8).map(|x| (block[y * 8 + x] - 128.0) * cos[u][x]).sum();
        }
    }
    let mut out = [0; 64];
    for v in 0..8 {
        for u in 0..8 {
            let sum: f64 = (0..8).map(|y| rows[y * 8 + u] * cos[v][y]).sum();
            let cu = if u == 0 {
                std::f64::consts::FRAC_1_SQRT_2
            } else {
                1.0
            };
            let cv = if v == 0 {
                std::f64::consts::FRAC_1_SQRT_2
            } else {
                1.0
            };
            let coefficient = sum * cu * cv / 4.0 / f64::from(QUANT);
            out[v * 8 + u] = (coefficient.round() as i32).clamp(-1023, 1023);
        }
    }
    out
}

fn segment(jpeg: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    jpeg.extend_from_slice(&[0xff, marker]);
    jpeg.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    jpeg.extend_from_slice(payload);
}

/// A baseline JFIF file of `width` × `height` (each 1..=65535) with `pixel(x, y)` → RGB.
pub fn encode_rgb(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    assert!((1..=65_535).contains(&width) && (1..=65_535).contains(&height));
    let (dc, ac) = (Table::dc(), Table::ac());
    let mut jpeg = vec![0xff, 0xd8];
    segment(
        &mut jpeg,
        0xe0,
        b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00",
    );
    segment(&mut jpeg, 0xdb, &[[0u8].as_slice(), &[QUANT; 64]].concat());
    let (w, h) = (width as u16, height as u16);
    let mut frame = vec![8];
    frame.extend_from_slice(&h.to_be_bytes());
    frame.extend_from_slice(&w.to_be_bytes());
    frame.extend_from_slice(&[3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
    segment(&mut jpeg, 0xc0, &frame);
    segment(
        &mut jpeg,
        0xc4,
        &[dc.segment(0x00), ac.segment(0x10)].concat(),
    );
    segment(&mut jpeg, 0xda, &[3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]);

    let cos = cos_table();
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        used: 0,
    };
    let mut previous_dc = [0i32; 3];
    for by in (0..height).step_by(8) {
        for bx in (0..width).step_by(8) {
            // Samples past the edge repeat the last row and column.
            let mut blocks = [[0.0f64; 64]; 3];
            for i in 0..64u32 {
                let x = (bx + i % 8).min(width - 1);
                let y = (by + i / 8).min(height - 1);
                let [r, g, b] = pixel(x, y).map(f64::from);
                let ycbcr = [
                    0.299 * r + 0.587 * g + 0.114 * b,
                    -0.168_736 * r - 0.331_264 * g + 0.5 * b + 128.0,
                    0.5 * r - 0.418_688 * g - 0.081_312 * b + 128.0,
                ];
                for (block, value) in blocks.iter_mut().zip(ycbcr) {
                    block[i as usize] = value;
                }
            }
            for (component, block) in blocks.iter().enumerate() {
                let coefficients = transform(block, &cos);
                let diff = coefficients[0] - previous_dc[component];
                previous_dc[component] = coefficients[0];
                let (size, value) = category(diff);
                let (code, length) = dc.code(size as u8);
                bits.put(code, length);
                bits.put(value, size);
                let mut zeros = 0;
                for &index in &ZIGZAG[1..] {
                    let coefficient = coefficients[index];
                    if coefficient == 0 {
                        zeros += 1;
                        continue;
                    }
                    while zeros >= 16 {
                        let (code, length) = ac.code(0xf0);
                        bits.put(code, length);
                        zeros -= 16;
                    }
                    let (size, value) = category(coefficient);
                    let (code, length) = ac.code(((zeros as u8) << 4) | size as u8);
                    bits.put(code, length);
                    bits.put(value, size);
                    zeros = 0;
                }
                if zeros > 0 {
                    let (code, length) = ac.code(0x00);
                    bits.put(code, length);
                }
            }
        }
    }
    jpeg.extend_from_slice(&bits.finish());
    jpeg.extend_from_slice(&[0xff, 0xd9]);
    jpeg
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Width and height from the SOF0 segment, found by walking the segments.
    fn dimensions(jpeg: &[u8]) -> (u32, u32) {
        let mut at = 2;
        loop {
            assert_eq!(jpeg[at], 0xff);
            let marker = jpeg[at + 1];
            let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
            if marker == 0xc0 {
                let h = u16::from_be_bytes([jpeg[at + 5], jpeg[at + 6]]);
                let w = u16::from_be_bytes([jpeg[at + 7], jpeg[at + 8]]);
                return (u32::from(w), u32::from(h));
            }
            at += 2 + length;
        }
    }

    #[test]
    fn a_picture_is_a_baseline_jfif_file() {
        let jpeg = encode_rgb(
            20,
            13,
            |x, y| if x > y { [200, 40, 90] } else { [30, 160, 220] },
        );
        assert!(jpeg.starts_with(&[0xff, 0xd8, 0xff, 0xe0]));
        assert_eq!(&jpeg[6..11], b"JFIF\0");
        assert!(jpeg.ends_with(&[0xff, 0xd9]));
        assert_eq!(dimensions(&jpeg), (20, 13));
    }

    #[test]
    fn entropy_coded_data_never_holds_a_bare_marker() {
        let jpeg = encode_rgb(64, 64, |x, y| {
            [(x * 4) as u8, (y * 4) as u8, ((x ^ y) * 4) as u8]
        });
        let start = jpeg
            .windows(2)
            .position(|w| w == [0xff, 0xda])
            .expect("a scan");
        let length = usize::from(u16::from_be_bytes([jpeg[start + 2], jpeg[start + 3]]));
        let data = &jpeg[start + 2 + length..jpeg.len() - 2];
        for pair in data.windows(2) {
            assert!(pair[0] != 0xff || pair[1] == 0, "0xFF is always stuffed");
        }
    }

    #[test]
    fn coefficients_are_written_as_jpeg_does() {
        assert_eq!(category(0), (0, 0));
        assert_eq!(category(1), (1, 1));
        assert_eq!(category(-1), (1, 0));
        assert_eq!(category(5), (3, 5));
        assert_eq!(category(-5), (3, 2));
        assert_eq!(category(-1023), (10, 0));
        let ac = Table::ac();
        assert_eq!(ac.symbols.len(), 162);
        assert_eq!(ac.code(0x00), (0, 8));
        assert_eq!(ac.code(0xfa), (161, 8));
    }

    #[test]
    fn a_solid_block_is_only_its_dc_value() {
        let coefficients = transform(&[200.0; 64], &cos_table());
        // DC = 8 × (200 − 128) / QUANT.
        assert_eq!(coefficients[0], 8 * 72 / i32::from(QUANT));
        assert!(coefficients[1..].iter().all(|&c| c == 0));
    }
}
