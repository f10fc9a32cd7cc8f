//! Files written whole: a model file is replaced in one step, and a save
//! that fails leaves the previous file as it was and no temporary file.

use acctscore::core::WriteStep;
use acctscore::pool::PoolGenerator;
use acctscore::prelude::*;
use acctscore::{Error, ModelFileError};
use std::path::Path;

fn scorer() -> Scorer {
    let pool = PoolGenerator::new(1_500).seed(17).generate();
    let frame = accounts_to_frame(&pool.accounts).expect("finite pool");
    ScorerParams::new().fit(&frame).expect("fits")
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn save_replaces_the_model_file_whole_and_leaves_no_temp_file() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let path = dir.join("model.json");
    std::fs::write(&path, "an older model file").expect("seed");
    let scorer = scorer();
    scorer.save(&path).expect("saved");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), scorer.to_json().expect("json"));
    assert_eq!(names(dir), ["model.json"]);
    let back = Scorer::load(&path).expect("loads");
    assert_eq!(back.to_json().expect("json"), scorer.to_json().expect("json"));
}

#[test]
fn a_failed_save_names_the_file_and_step_and_leaves_the_folder_as_it_was() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let scorer = scorer();
    // The destination is a folder with a file in it: the final rename fails.
    let path = dir.join("model.json");
    std::fs::create_dir_all(path.join("keep")).expect("folder");
    std::fs::write(path.join("keep/a.txt"), "kept").expect("seed");
    let err = scorer.save(&path).expect_err("cannot replace a folder");
    match &err {
        Error::ModelFile(ModelFileError::Write(e)) => {
            assert_eq!(e.step, WriteStep::Rename);
            assert_eq!(e.path, path);
        }
        other => panic!("expected a write error, got {other:?}"),
    }
    assert!(err.to_string().starts_with(&format!("{}: cannot rename the temporary file over it: ", path.display())));
    assert_eq!(names(dir), ["model.json"], "no temporary file left");
    assert_eq!(std::fs::read_to_string(path.join("keep/a.txt")).expect("read"), "kept");
    // A missing folder: nothing is created.
    let missing = dir.join("no/such/model.json");
    let err = scorer.save(&missing).expect_err("no folder");
    assert!(matches!(&err, Error::ModelFile(ModelFileError::Write(e)) if e.step == WriteStep::CreateTemp), "{err:?}");
    assert_eq!(names(dir), ["model.json"]);
}
