"""Forms for course authoring, publishing, reading and cohorts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from courses.clips import MAX_CLIP_FRAMES
from courses.importers.mot import parse_classes
from courses.models import CourseStatus, ItemStatus, StaffRole
from courses.rendering import limit_problems


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CourseForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired(), Length(max=200)], filters=[_strip],
        description="The plain name trainees see, e.g. “Tagging clothing in photos”.")
    slug = StringField(
        "Short name for links", filters=[_strip],
        validators=[DataRequired(), Regexp(r"^[a-z0-9][a-z0-9-]{1,63}$",
                    message="Use 2-64 lowercase letters, digits and hyphens.")],
        description="Appears in addresses and bundle folders; it cannot change later.")
    code_name = StringField("Code name (optional)", validators=[Length(max=100)],
                            filters=[_strip], description="The client's internal project name.")
    description = TextAreaField("Description (Markdown)", validators=[Length(max=20_000)])
    qualifies_for = StringField("Qualifies for", validators=[Length(max=300)], filters=[_strip],
                                description="The paid work that passing this course opens.")
    estimated_minutes = IntegerField("Estimated time (minutes)",
                                     validators=[Optional(), NumberRange(min=1, max=10_000)])
    dropout_window_days = IntegerField(
        "Dropout window (days)", default=7,
        validators=[DataRequired(message="Give a number of days from 1 to 90."),
                    NumberRange(min=1, max=90, message="Give a number of days from 1 to 90.")],
        description="A trainee who has not qualified and does nothing in the course for this "
                    "many days counts as dropped out; after half of it, as at risk.")
    status = SelectField("Status", choices=[
        SelectChoice(CourseStatus.DRAFT.value, "Draft — only staff can see it"),
        SelectChoice(CourseStatus.OPEN.value, "Open — trainees can enrol"),
        SelectChoice(CourseStatus.ARCHIVED.value, "Archived — closed to new trainees"),
    ])


class DraftForm(FlaskForm):
    markdown = TextAreaField("Manual (Markdown)")

    def validate(self, extra_validators=None) -> bool:
        """Refuse a manual past the size limits: the page shows why, at the top of the form."""
        if not super().validate(extra_validators):
            return False
        problems = limit_problems(self.markdown.data or "")
        if problems:
            self.form_errors.extend(["The draft was not saved.", *problems])
        return not problems


class PublishForm(FlaskForm):
    changelog = TextAreaField("Changelog (Markdown)", validators=[Length(max=20_000)],
                              description="What changed and why, for trainees to read.")
    material = SelectMultipleField(
        "Material changes", choices=[], validate_choice=True,
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    # What the instructor confirmed: "<trainees>:<section ids>" as the warning showed them.
    confirmed = HiddenField()


class CohortForm(FlaskForm):
    name = StringField("Cohort name", validators=[DataRequired(), Length(max=120)],
                       filters=[_strip])
    starts_on = DateField("Start date", validators=[DataRequired()])
    capacity = IntegerField("Capacity (optional)",
                            validators=[Optional(), NumberRange(min=1, max=100_000)])


class StaffForm(FlaskForm):
    email = StringField("Email of their account", filters=[_strip],
                        validators=[DataRequired(), Length(max=254)],
                        description="They must already have an instructor account.")
    role = SelectField("Role", default=StaffRole.INSTRUCTOR.value, choices=[
        SelectChoice(StaffRole.INSTRUCTOR.value, "Instructor"),
        SelectChoice(StaffRole.OWNER.value, "Owner"),
    ], description="Instructors change the course, its manual, items, exam and cohorts; "
                   "owners also add and remove staff. Adding someone already on the staff "
                   "changes their role.")


class InviteLinkForm(FlaskForm):
    days = IntegerField("Link valid for (days)", default=14,
                        validators=[DataRequired(), NumberRange(min=1, max=90)])


class EmailListForm(FlaskForm):
    emails = FileField("CSV of email addresses", validators=[
        FileRequired(), FileAllowed(["csv", "txt"], "Upload a .csv or .txt file.")])


class BundleUploadForm(FlaskForm):
    bundle = FileField("Course bundle (.zip)", validators=[
        FileRequired(), FileAllowed(["zip"], "Upload a .zip file.")])


def _mot_classes(_form: FlaskForm, field: StringField) -> None:
    if field.data:
        try:
            parse_classes(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)[:1].upper() + str(exc)[1:] + ".") from exc


class ItemsImportForm(FlaskForm):
    items = FileField("Items file", validators=[
        FileRequired(),
        FileAllowed(["jsonl", "json", "csv", "txt", "xml"],
                    "Upload a .jsonl, .json, .csv, .txt or .xml file.")])
    format = SelectField("Format", choices=[
        SelectChoice("jsonl", "Bootcamp items (JSONL)"),
        SelectChoice("coco", "COCO JSON (boxes, keypoints)"),
        SelectChoice("labelstudio", "Label Studio JSON export"),
        SelectChoice("csv", "CSV (choice, labels)"),
        SelectChoice("kitti", "KITTI label_2 file (lidar cuboids; calib/ and velodyne/ in the "
                              "zip)"),
        SelectChoice("mot", "MOTChallenge gt.txt (tracks; the sequence folder, with "
                            "seqinfo.ini and img1/, in the zip)"),
        SelectChoice("cvat-video", "CVAT for video XML (tracks; the frames in the zip)"),
    ])
    media = FileField("Images (.zip, optional)", validators=[
        FileAllowed(["zip"], "Upload the images as a .zip file.")])
    config = FileField("Label Studio labeling config (.xml, optional)", validators=[
        FileAllowed(["xml"], "Upload the labeling config as an .xml file.")])
    annotation = SelectField("Label Studio: gold annotation", choices=[
        SelectChoice("ground-truth", "The one marked ground truth"),
        SelectChoice("latest", "The latest one"),
    ])
    pool = SelectField("Pool for converted items", choices=[
        SelectChoice("practice", "Practice"), SelectChoice("exam", "Exam")])
    clip = IntegerField(
        "Tracks: frames per item (optional)",
        validators=[Optional(), NumberRange(min=1, max=MAX_CLIP_FRAMES,
                                            message=f"Give 1 to {MAX_CLIP_FRAMES} frames.")],
        description=f"A longer video is cut into clips of this many frames (at most and by "
                    f"default {MAX_CLIP_FRAMES}).")
    classes = StringField(
        "MOTChallenge: classes to keep (optional)", validators=[Length(max=500), _mot_classes],
        description="CLASS=LABEL pairs, for example 1=pedestrian,3=car. Without them: "
                    "gt/labels.txt, else MOTChallenge's classes 1 to 7.")


class ItemFieldsForm(FlaskForm):
    """What a new and an edited item share besides the question and the gold."""

    explanation = TextAreaField(
        "Explanation (Markdown)", validators=[Length(max=20_000)],
        description="Shown to trainees after they answer.")
    sections = SelectMultipleField(
        "Manual sections", choices=[], validate_choice=True,
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    pools = SelectMultipleField(
        "Pools", choices=[SelectChoice("practice", "Practice"), SelectChoice("exam", "Exam")],
        validate_choice=True,
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
    critical = BooleanField("Critical: a wrong answer to it fails an exam")

    def validate_pools(self, field) -> None:  # not DataRequired: no `required` on each box
        if not field.data:
            raise ValidationError("Choose at least one pool.")


class ItemEditForm(ItemFieldsForm):
    """An item's fields besides its gold; the gold is posted by the answer widget as "answer"."""

    prompt = TextAreaField("Prompt", validators=[DataRequired(), Length(max=5_000)],
                           filters=[_strip])
    status = SelectField("Status", choices=[
        SelectChoice(ItemStatus.ACTIVE.value, "Active — served in practice and exams"),
        SelectChoice(ItemStatus.RETIRED.value, "Retired — kept, but no longer served"),
    ])
    reason = StringField(
        "Reason for the change", validators=[Length(max=300)], filters=[_strip],
        description="Required when the gold changes; kept in the item's gold history.")


class ItemNewForm(ItemFieldsForm):
    """A new item: the question (step 1), then the gold, posted by the answer widget as
    "answer" (step 2). The image is kept among the course's media once step 1 accepts it, and
    `image_path` carries it to the next post, so that a refused post loses nothing."""

    key = StringField(
        "Key (optional)", filters=[_strip], validators=[Optional(), Regexp(
            r"^[a-z0-9][a-z0-9._-]{0,99}$",
            message="Use 1-100 lowercase letters, digits, '.', '_' or '-', starting with a "
                    "letter or digit.")],
        description="How the bank and bundles name the item; left empty, one is made from "
                    "the prompt.")
    prompt = TextAreaField("Prompt (optional)", validators=[Length(max=5_000)], filters=[_strip],
                           description="The instruction trainees read; left empty, the kind's "
                                       "usual instruction is used.")
    image = FileField("Image (PNG, JPEG or GIF)")
    image_path = HiddenField()
    text = TextAreaField("Text to mark", validators=[Length(max=1_000_000)])
    names = TextAreaField("Names", validators=[Length(max=20_000)],
                          description="One per line.")
    settings = TextAreaField("More settings (YAML or JSON, optional)",
                             validators=[Length(max=5_000)])
    pools = SelectMultipleField(
        "Pools", choices=[SelectChoice("practice", "Practice"), SelectChoice("exam", "Exam")],
        default=["practice"], validate_choice=True,
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))
