//! The documentation the code cites exists: every `§N` reference in `src/` and `tests/` names a
//! section of docs/model.md (or, after `docs/architecture.md`, of that file), and the README
//! links the documents.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Section numbers of a Markdown file: "## 5. Title" gives "5", "### 5.2 Title" gives "5.2".
fn sections(doc: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(doc)).unwrap_or_else(|e| panic!("{doc}: {e}"));
    text.lines()
        .filter(|l| l.starts_with("## ") || l.starts_with("### "))
        .filter_map(|l| {
            let n = l.trim_start_matches('#').split_whitespace().next()?;
            let n = n.trim_end_matches('.');
            n.chars().all(|c| c.is_ascii_digit() || c == '.').then(|| n.to_string())
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_section_reference_in_the_code_exists() {
    let model = sections("docs/model.md");
    let arch = sections("docs/architecture.md");
    assert!(model.contains("5.2") && arch.contains("1"), "headings not found: {model:?} {arch:?}");
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("tests"), &mut files);
    let mut refs = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for (line_no, line) in text.lines().enumerate() {
            let outside = concat!("spec ", "§");
            assert!(
                !line.contains(outside),
                "{}:{}: cites a document outside the repository",
                path.display(),
                line_no + 1
            );
            let mut rest = line;
            while let Some(k) = rest.find('§') {
                let before = &rest[..k];
                let after = &rest[k + '§'.len_utf8()..];
                let num: String = after.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
                let num = num.trim_end_matches('.').to_string();
                rest = after;
                if num.is_empty() || line.contains("\"§") {
                    continue;
                }
                let (doc, set) =
                    if before.ends_with("docs/architecture.md ") { ("architecture", &arch) } else { ("model", &model) };
                assert!(
                    set.contains(&num),
                    "{}:{}: §{num} is not a section of docs/{doc}.md",
                    path.display(),
                    line_no + 1
                );
                refs += 1;
            }
        }
    }
    assert!(refs > 50, "only {refs} references found");
}

#[test]
fn the_readme_links_the_documents() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for doc in ["docs/model.md", "docs/architecture.md", "docs/validation.md", "docs/performance.md"] {
        assert!(readme.contains(&format!("]({doc}")), "README does not link {doc}");
        assert!(root().join(doc).exists(), "{doc} is missing");
    }
}
