//! The Immich release lines whose answer shapes the project has recorded (2.5.6 and 3.1.0): what
//! `sim --immich-version` takes, and what the simulator (`crate::sim`) answers as. Here, below both
//! the command line and the simulator, so that neither depends on the other for it.

/// The Immich release lines the simulator imitates, each in its recorded answer shapes
/// (`../shared/immich-api/samples*/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImmichLine {
    /// 2.5.6: albums carry `ownerId`/`owner` and list only members in `albumUsers`; `GET
    /// /albums/{id}` embeds every asset unless `withoutAssets=true`; `GET /albums` ignores `name`;
    /// re-sharing with a member is a 400; errors carry `error` and `statusCode`, validation messages
    /// come as a list.
    V2_5,
    /// 3.1.0, the default.
    #[default]
    V3_1,
}

impl ImmichLine {
    pub fn version(self) -> (u32, u32, u32) {
        match self {
            ImmichLine::V2_5 => (2, 5, 6),
            ImmichLine::V3_1 => (3, 1, 0),
        }
    }
}

impl std::str::FromStr for ImmichLine {
    type Err = String;

    fn from_str(text: &str) -> Result<ImmichLine, String> {
        match text {
            "2.5" | "2.5.6" => Ok(ImmichLine::V2_5),
            "3.1" | "3.1.0" => Ok(ImmichLine::V3_1),
            other => Err(format!(
                "`{other}` is not a line the simulator imitates: 2.5 or 3.1"
            )),
        }
    }
}

impl std::fmt::Display for ImmichLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (major, minor, patch) = self.version();
        write!(f, "{major}.{minor}.{patch}")
    }
}
