//! `state show` and `state forget`: the local record of a job file's albums; `state health` is in
//! [`super::health`].

use crate::cli::{GlobalArgs, StateCommand};
use crate::error::Status;
use crate::job::JobFile;
use crate::output;
use crate::state::{self, Store};

use super::jobfile::resolve_job_path;

/// `state show` and `state forget`: the local record of a job file's albums. Needs no server and no
/// key: the record names each album by server and id, and notes which job uses it.
pub fn state(command: &StateCommand, global: &GlobalArgs) -> anyhow::Result<Status> {
    // `forget`: the job whose tombstones to drop.
    let (jobfile, job, forget) = match command {
        StateCommand::Show { jobfile, job } => (jobfile, job.as_deref(), None),
        StateCommand::Forget { jobfile, job } => (jobfile, Some(job.as_str()), Some(job.as_str())),
        StateCommand::Health { jobfiles, max_age } => {
            return super::health::health(jobfiles, max_age.as_deref(), global);
        }
    };
    let path = resolve_job_path(jobfile);
    let file = JobFile::load(&path)?;
    let jobs = file.select(job)?;
    let db = state::path_in(global.state_dir.as_deref());
    let mut out = output::stdout();
    let Some(store) = Store::open_read_only(&db)? else {
        output::line(
            &mut out,
            &format!(
                "No record yet at {}: no sync has run with this state directory.",
                db.display()
            ),
        )?;
        return Ok(Status::Ok);
    };
    match forget {
        None => {
            let mut albums = Vec::new();
            for spec in &jobs {
                for note in store.albums_of(&spec.name)? {
                    let counts = store.counts(&note.key, &spec.name)?;
                    albums.push(output::state::RecordedAlbum { note, counts });
                }
            }
            let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
            let copies = names
                .iter()
                .map(|job| store.copies_of(job))
                .collect::<anyhow::Result<Vec<usize>>>()?;
            let links = names
                .iter()
                .map(|job| store.links_of(job))
                .collect::<anyhow::Result<Vec<_>>>()?;
            output::state::state_show(
                &mut out,
                &db.display().to_string(),
                &names,
                &copies,
                &links,
                &albums,
            )?;
            output::state::last_runs(&mut out, &store.last_runs(5)?)?;
        }
        Some(job) => {
            drop(store);
            let store = Store::open(&db)?;
            let mut forgotten = Vec::new();
            for note in store.albums_of(job)? {
                let n = store.forget_tombstones(&note.key)?;
                forgotten.push((note, n));
            }
            output::state::state_forgotten(&mut out, &db.display().to_string(), job, &forgotten)?;
        }
    }
    Ok(Status::Ok)
}
