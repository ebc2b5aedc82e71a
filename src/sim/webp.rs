//! A tiny lossless WebP (VP8L) encoder for simple pictures, written by hand so the simulator needs no
//! image library. It uses no transforms, no colour cache and no LZ77 back-references: every pixel is
//! a literal, and each colour channel is coded with a "simple" prefix code of one or two symbols
//! (zero or one bit per pixel). So it handles exactly the pictures whose green, red and blue
//! channels each take at most two values (a solid colour, or two colours: the simulator's
//! thumbnails), which keeps it short enough to check by eye against the format's specification
//! (RFC 9649).

/// Writes bits least significant first, as VP8L reads them.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    used: u32,
}

impl Bits {
    fn put(&mut self, value: u32, bits: u32) {
        debug_assert!(bits <= 32 && (bits == 32 || value >> bits == 0));
        self.acc |= u64::from(value) << self.used;
        self.used += bits;
        while self.used >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.used -= 8;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A simple prefix code of one or two 8-bit symbols: one symbol costs no bit per pixel, two cost
/// one (`0` for the smaller symbol, as canonical codes are assigned in symbol order).
fn simple_code(bits: &mut Bits, symbols: &[u8]) {
    bits.put(1, 1); // simple code
    bits.put(symbols.len() as u32 - 1, 1);
    let first = u32::from(symbols[0]);
    if first < 2 {
        bits.put(0, 1);
        bits.put(first, 1);
    } else {
        bits.put(1, 1);
        bits.put(first, 8);
    }
    if let Some(&second) = symbols.get(1) {
        bits.put(u32::from(second), 8);
    }
}

/// The distinct values of one channel, sorted; `None` when there are more than two.
fn channel_values(pixels: &[[u8; 3]], channel: usize) -> Option<Vec<u8>> {
    let mut values: Vec<u8> = Vec::with_capacity(2);
    for pixel in pixels {
        let v = pixel[channel];
        if !values.contains(&v) {
            if values.len() == 2 {
                return None;
            }
            values.push(v);
        }
    }
    values.sort_unstable();
    Some(values)
}

/// An opaque WebP file of `width` × `height` (each 1..=16384) with `pixel(x, y)` → RGB. Returns
/// `None` when a channel takes more than two values (a picture this encoder cannot write).
pub fn encode_rgb(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Option<Vec<u8>> {
    assert!((1..=16_384).contains(&width) && (1..=16_384).contains(&height));
    let pixels: Vec<[u8; 3]> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|(x, y)| pixel(x, y))
        .collect();
    // VP8L codes green first, then red, blue, alpha.
    let order = [1, 0, 2];
    let values: Vec<Vec<u8>> = order
        .iter()
        .map(|&c| channel_values(&pixels, c))
        .collect::<Option<_>>()?;

    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        used: 0,
    };
    bits.put(0x2f, 8); // signature
    bits.put(width - 1, 14);
    bits.put(height - 1, 14);
    bits.put(0, 1); // alpha is not used
    bits.put(0, 3); // version 0
    bits.put(0, 1); // no transform
    bits.put(0, 1); // no colour cache
    bits.put(0, 1); // one prefix code group for the whole picture
    for channel in &values {
        simple_code(&mut bits, channel);
    }
    simple_code(&mut bits, &[255]); // alpha: always opaque
    simple_code(&mut bits, &[0]); // distance: never used
    for pixel in &pixels {
        for (k, &c) in order.iter().enumerate() {
            if values[k].len() == 2 {
                bits.put(u32::from(pixel[c] == values[k][1]), 1);
            }
        }
    }
    let data = bits.finish();

    let padded = data.len() + data.len() % 2;
    let mut webp = Vec::with_capacity(20 + padded);
    webp.extend_from_slice(b"RIFF");
    webp.extend_from_slice(&(4 + 8 + padded as u32).to_le_bytes());
    webp.extend_from_slice(b"WEBPVP8L");
    webp.extend_from_slice(&(data.len() as u32).to_le_bytes());
    webp.extend_from_slice(&data);
    if data.len() % 2 == 1 {
        webp.push(0);
    }
    Some(webp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Width and height as a decoder reads them from the VP8L header.
    fn dimensions(webp: &[u8]) -> (u32, u32) {
        let header = u32::from_le_bytes(webp[21..25].try_into().unwrap());
        ((header & 0x3fff) + 1, ((header >> 14) & 0x3fff) + 1)
    }

    #[test]
    fn a_solid_picture_is_a_small_riff_file() {
        let webp = encode_rgb(3, 2, |_, _| [10, 200, 30]).unwrap();
        assert_eq!(&webp[0..4], b"RIFF");
        assert_eq!(&webp[8..16], b"WEBPVP8L");
        let riff = u32::from_le_bytes(webp[4..8].try_into().unwrap()) as usize;
        assert_eq!(
            riff + 8,
            webp.len(),
            "the RIFF size counts everything after it"
        );
        assert_eq!(webp.len() % 2, 0, "chunks are padded to an even size");
        assert_eq!(webp[20], 0x2f, "VP8L signature");
        assert_eq!(dimensions(&webp), (3, 2));
        assert_eq!(webp[24] >> 4, 0, "no alpha, version 0");
    }

    #[test]
    fn two_colours_cost_a_bit_per_differing_channel() {
        let one = encode_rgb(64, 64, |_, _| [1, 2, 3]).unwrap();
        let two = encode_rgb(64, 64, |x, _| if x < 8 { [1, 2, 3] } else { [9, 2, 7] }).unwrap();
        assert_eq!(dimensions(&two), (64, 64));
        // Two channels differ: two bits per pixel, 4096 pixels = 1024 bytes of pixel data.
        assert!(two.len() > one.len() + 1000 && two.len() < one.len() + 1040);
    }

    #[test]
    fn more_than_two_values_in_a_channel_are_refused() {
        assert!(encode_rgb(3, 1, |x, _| [x as u8, 0, 0]).is_none());
    }

    #[test]
    fn bits_are_packed_least_significant_first() {
        let mut bits = Bits {
            out: Vec::new(),
            acc: 0,
            used: 0,
        };
        bits.put(0b1, 1);
        bits.put(0b10, 2);
        bits.put(0x1ff, 9);
        assert_eq!(bits.finish(), vec![0b1111_1101, 0b1111]);
    }
}
