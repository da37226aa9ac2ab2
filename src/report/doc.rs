//! The report's document model: a flat list of blocks that both the markdown and the HTML
//! writers render, so the two formats cannot drift apart.

/// A table cell's or paragraph's text is plain text: writers escape it for their format.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading; level 1 is the title.
    Heading {
        level: u8,
        text: String,
        id: String,
    },
    Paragraph(String),
    /// The determination, displayed prominently; `tone` is the mechanism id (for CSS).
    Verdict {
        tone: String,
        title: String,
        detail: String,
    },
    /// A warning or a note that must not be missed.
    Callout {
        warning: bool,
        text: String,
    },
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    List(Vec<String>),
    /// A checklist: each item with its state label (`pipl-scan`, `partly`, `you`).
    Checklist(Vec<(ChecklistState, String, String)>),
    /// Preformatted text (Mermaid, DOT); `lang` is the markdown fence tag.
    Code {
        lang: String,
        caption: String,
        text: String,
    },
    /// An inline SVG image (HTML only; markdown shows `alt` instead).
    Svg {
        svg: String,
        alt: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecklistState {
    /// pipl-scan's outputs supply it.
    Supplied,
    /// pipl-scan supplies part of it (the data description); the rest is the user's.
    Partly,
    /// The user provides it.
    User,
}

/// A report: title plus blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Doc {
    pub fn new(title: impl Into<String>) -> Doc {
        Doc {
            title: title.into(),
            blocks: Vec::new(),
        }
    }

    pub fn h(&mut self, level: u8, id: &str, text: impl Into<String>) {
        self.blocks.push(Block::Heading {
            level,
            text: text.into(),
            id: id.to_string(),
        });
    }

    pub fn p(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Paragraph(text.into()));
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Callout {
            warning: true,
            text: text.into(),
        });
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Callout {
            warning: false,
            text: text.into(),
        });
    }

    pub fn table(&mut self, head: Vec<String>, rows: Vec<Vec<String>>) {
        self.blocks.push(Block::Table { head, rows });
    }

    pub fn list(&mut self, items: Vec<String>) {
        self.blocks.push(Block::List(items));
    }
}
