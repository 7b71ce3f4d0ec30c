// Package e2e holds mpt's browser tests: real headless Chromium, driven by chromedp, against the
// real server over HTTP on a fresh database. They need Chromium (Debian's chromium package, or
// MPT_CHROMIUM naming a binary) and skip with a message without it, except under CI=true where
// a missing browser fails the run. On failure each test saves a screenshot and the page HTML in
// test-output/ at the repository root.
package e2e
