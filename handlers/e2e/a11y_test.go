package e2e_test

import "github.com/chromedp/chromedp"

// a11yScript lists accessibility basics a page breaks: form fields without a label, images
// without alt text, headings that skip a level, invalid fields whose error is not tied to them.
const a11yScript = `(() => {
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
    const labelled = (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) ||
      el.closest('label') || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push('field without a label: ' + (el.name || el.id || el.outerHTML.slice(0, 60)));
    if (el.getAttribute('aria-invalid') === 'true') {
      const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
      if (!ids.some(id => document.getElementById(id))) problems.push('invalid field without a tied error: ' + el.name);
    }
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push('image without alt: ' + img.getAttribute('src'));
  }
  let last = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Number(h.tagName[1]);
    if (last && level > last + 1) problems.push('heading skips a level: h' + last + ' → ' + h.tagName.toLowerCase() + ' "' + h.textContent.trim().slice(0, 40) + '"');
    last = level;
  }
  if (document.querySelectorAll('h1').length !== 1) problems.push('page has ' + document.querySelectorAll('h1').length + ' h1 elements');
  if (!document.documentElement.lang) problems.push('html has no lang');
  return problems;
})()`

// checkA11y fails the test for each accessibility problem of the current page.
func (b *browser) checkA11y(step string) {
	b.t.Helper()
	problems, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](a11yScript))
	if err != nil {
		b.t.Fatalf("%s: accessibility check: %v", step, err)
	}
	for _, p := range problems {
		b.t.Errorf("%s: %s", step, p)
	}
}

// focusVisibleScript reports whether the focused element draws a visible outline.
const focusVisibleScript = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'nothing focused';
  const s = getComputedStyle(el);
  const outlined = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const ringed = s.boxShadow && s.boxShadow !== 'none';
  return outlined || ringed ? '' : 'focused element has no visible focus: ' + el.outerHTML.slice(0, 80);
})()`

// checkFocusVisible tabs to the first focusable element and checks that focus is visible.
func (b *browser) checkFocusVisible(step string) {
	b.t.Helper()
	b.do(step, chromedp.KeyEvent("\t"))
	msg, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](focusVisibleScript))
	if err != nil {
		b.t.Fatal(err)
	}
	if msg != "" {
		b.t.Errorf("%s: %s", step, msg)
	}
}
