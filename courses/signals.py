"""Signals other packages listen to, so that courses never import them (imports flow one way).

Both are sent inside the transaction that made the change, and receivers add their changes to
the same session:
- `manual_published(course, version=...)`: a version was numbered and flushed, published in the
  browser or imported from a bundle;
- `gold_revised(item, reason=...)`: an item's gold, spec or accepted alternatives changed (a
  new ItemRevision), by the item editor, a dispute, or an import; answers need regrading;
- `bundle_imported(course, exam=..., actor=...)`: a course bundle was imported (after its items,
  before its new versions' `manual_published`); `exam` is the bundle's `exam:` block as
  exams.rules.ExamRules (a courses.bundles.ExamBlock), or None when the bundle sets none.
  A receiver may raise courses.errors.SourceInvalid: the import is then refused.

Two more ask exams for what only it knows, so that course bundles carry exam rules without
importing exams (exams/bundle_block.py and exams/bundle_hooks.py answer them):
- `exam_block_read(doc, errors=..., sections=...)`: reading a bundle, with course.yaml's
  mapping (courses.bundles.yaml_doc.YamlMapping); the receiver checks its `exam:` block, adds
  each problem to `errors` at its line, and returns the rules (an ExamBlock) or None;
- `bundle_exporting(course)`: exporting a course; the receiver returns its stored exam rules
  (an ExamBlock, which gives the block to write) or None;
- `refresh_impact(course, sections=...)`: before a version with material changes to these
  section ids is published; the receiver returns how many qualified trainees it would send to
  a refresh exam (exams/services/qualifications.py answers), so the instructor can confirm.
"""

from blinker import Namespace

_signals = Namespace()

manual_published = _signals.signal("manual-published")
gold_revised = _signals.signal("gold-revised")
bundle_imported = _signals.signal("bundle-imported")
exam_block_read = _signals.signal("exam-block-read")
bundle_exporting = _signals.signal("bundle-exporting")
refresh_impact = _signals.signal("refresh-impact")
