//! What reaches a terminal. Text from exports (titles, names, reject reasons that quote
//! a value) can hold escape sequences that set a window title, clear the screen or fake
//! a prompt; everything the tool prints for a person to read goes through [`safe`].

use std::borrow::Cow;

/// `text` with every control character but the line break shown as its escape
/// (`\u{1b}` for ESC), so that nothing in it is acted on by the terminal.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `eprintln!` through [`safe`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::terminal::safe(&format!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_are_shown_not_acted_on() {
        assert_eq!(super::safe("plain\nlines"), "plain\nlines");
        assert_eq!(
            super::safe("\u{1b}]0;pwned\u{7}\u{1b}[2Jx\r\u{9b}y\tz"),
            r"\u{1b}]0;pwned\u{7}\u{1b}[2Jx\u{d}\u{9b}y\u{9}z"
        );
    }
}
