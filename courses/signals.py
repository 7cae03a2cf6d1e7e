"""Signals other packages listen to, so that courses never import them (imports flow one way).

Both are sent inside the transaction that made the change, and receivers add their changes to
the same session:
- `manual_published(course, version=...)`: a version was numbered and flushed, published in the
  browser or imported from a bundle;
- `gold_revised(item, reason=...)`: an item's gold, spec or accepted alternatives changed (a
  new ItemRevision), by the item editor, a dispute, or an import; answers need regrading;
- `bundle_imported(course, exam=..., actor=...)`: a course bundle was imported (after its items,
  before its new versions' `manual_published`); `exam` is the bundle's `exam:` block as the
  fields of exams.services.settings.ExamRules (a dict), or None when the bundle sets none.
  A receiver may raise courses.bundles.BundleInvalid: the import is then refused.
"""

from blinker import Namespace

_signals = Namespace()

manual_published = _signals.signal("manual-published")
gold_revised = _signals.signal("gold-revised")
bundle_imported = _signals.signal("bundle-imported")
