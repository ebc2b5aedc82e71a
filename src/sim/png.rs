//! The simulator's thumbnails: a small PNG per asset, drawn from its checksum so that every asset looks
//! different (a background colour, a square of a second colour at a place of its own), and encoded by
//! hand: stored (uncompressed) zlib blocks, with the CRC-32 and Adler-32 the format asks for. No image
//! library is needed, and the bytes are the same on every run.

/// Thumbnails are this many pixels square.
pub const SIZE: u32 = 64;

/// The thumbnail of an asset with this checksum.
pub fn thumbnail(checksum: &[u8]) -> Vec<u8> {
    let byte = |i: usize| checksum.get(i).copied().unwrap_or(0);
    // Colours kept away from black and white, so that each one shows on a light page.
    let colour = |i: usize| -> [u8; 3] { [0, 1, 2].map(|k| 40 + byte(i + k) % 180) };
    let (background, square) = (colour(0), colour(3));
    let side = SIZE / 4 + u32::from(byte(6)) % (SIZE / 4);
    let left = u32::from(byte(7)) % (SIZE - side);
    let top = u32::from(byte(8)) % (SIZE - side);
    encode_rgb(SIZE, SIZE, |x, y| {
        let inside = (left..left + side).contains(&x) && (top..top + side).contains(&y);
        if inside { square } else { background }
    })
}

/// An 8-bit RGB PNG of `width` × `height`, with `pixel(x, y)` for each pixel.
pub fn encode_rgb(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((height * (1 + width * 3)) as usize);
    for y in 0..height {
        raw.push(0); // filter type None
        for x in 0..width {
            raw.extend_from_slice(&pixel(x, y));
        }
    }
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // bit depth 8, RGB, deflate, no filter, no interlace

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored deflate blocks (at most 65535 bytes each).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(65_535).collect()
    };
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len())); // BFINAL on the last, BTYPE 00 (stored)
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1_u32, 0_u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_the_known_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn a_thumbnail_is_a_png_of_its_own() {
        let a = thumbnail(&[1; 20]);
        let b = thumbnail(&[2; 20]);
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(a.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]));
        assert_eq!(&a[16..24], &[0, 0, 0, 64, 0, 0, 0, 64]);
        assert_ne!(a, b);
        assert_eq!(a, thumbnail(&[1; 20]), "the same asset, the same picture");
    }

    #[test]
    fn large_images_span_several_stored_blocks() {
        let stream = zlib_stored(&vec![7; 70_000]);
        assert_eq!(stream.len(), 2 + (5 + 65_535) + (5 + 4_465) + 4);
        assert_eq!(stream[2], 0, "the first block is not the last");
        assert_eq!(stream[2 + 5 + 65_535], 1, "the second is");
    }
}
