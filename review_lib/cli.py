"""The ``practice-review`` command: validate, summarise, make templates, run reports.

No traceback ever reaches the user: bad input is reported as located problems, and any
unexpected failure as one line with how to get details (``--debug``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from review_lib import __version__
from review_lib.data.problems import DataValidationError, Problem

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


def _print_problems(problems: Sequence[Problem], stream=None) -> None:
    stream = stream or sys.stdout
    for problem in problems:
        print(f"  {problem}", file=stream)


def cmd_validate(args: argparse.Namespace) -> int:
    """Check files and folders; print every problem; exit 1 on any error."""
    from review_lib.data.catalogue import load_catalogue
    from review_lib.data.loading import read_programme_files
    from review_lib.data.notes import read_programme_notes
    from review_lib.data.records import Programme

    catalogue = load_catalogue(args.questions)
    results = read_programme_files(args.paths, catalogue)
    n_errors = n_warnings = 0
    for result in results:
        errors = [p for p in result.problems if p.is_error]
        warnings = [p for p in result.problems if not p.is_error]
        n_errors += len(errors)
        n_warnings += len(warnings)
        if errors:
            print(f"FAIL {result.display_name}: {len(errors)} error(s)"
                  + (f", {len(warnings)} warning(s)" if warnings else ""))
        else:
            described = "; ".join([*(f"{r.council} {r.cycle}, {r.n_cases} cases"
                                     for r in result.reviews),
                                   *(e.describe() for e in result.exercises)])
            print(f"OK   {result.display_name}: {described}"
                  + (f" ({len(warnings)} warning(s))" if warnings else ""))
        _print_problems(result.problems)
    # The review teams' notes files: beside their data files, or standing alone in a folder.
    programme = Programme([r for result in results for r in result.reviews], catalogue)
    folders = [Path(p) for p in args.paths if Path(p).is_dir()]
    notes = read_programme_notes(programme, folders)
    by_file: dict[str, list] = {}
    for problem in [*notes.problems, *_unknown_moderation(notes, results),
                    *_notes_figures(notes, programme)]:
        by_file.setdefault(problem.file, []).append(problem)
    for found in notes.notes.values():
        by_file.setdefault(found.file, [])
    for name in sorted(by_file):
        problems = by_file[name]
        errors = [p for p in problems if p.is_error]
        n_errors += len(errors)
        n_warnings += len(problems) - len(errors)
        state = f"FAIL {name}: {len(errors)} error(s)" if errors else f"OK   {name}: notes"
        if problems and not errors:
            state += f" ({len(problems)} warning(s))"
        print(state)
        _print_problems(problems)
    checked = len(results) + len(by_file)
    print(f"\n{checked} file(s) checked: {n_errors} error(s), {n_warnings} warning(s).")
    return EXIT_INVALID if n_errors else EXIT_OK


def _notes_figures(notes, programme) -> list:
    """A warning for each figure a notes file states that the review's data contradict."""
    from review_lib.data.notes_figures import notes_figure_problems

    found = []
    for (council, cycle), one in notes.notes.items():
        review = next((r for r in programme.reviews if r.cycle == cycle
                       and str(r.council).casefold().strip() == council), None)
        if review is not None:
            found += notes_figure_problems(one, review)
    return found


def _unknown_moderation(notes, results) -> list:
    """A warning for each notes file naming a moderation exercise the data do not hold.

    The report still renders without the auditors' leniency (and says why); validate says
    so first, at the line that names the exercise.
    """
    from review_lib.data.moderation import exercise_named
    from review_lib.data.problems import WARNING, Problem

    exercises = [e for result in results for e in result.exercises]
    problems = []
    for (_, cycle), found in notes.notes.items():
        name = found.moderation
        if not name or exercise_named(exercises, name, cycle) is not None:
            continue
        known = sorted({e.name for e in exercises if e.cycle == cycle})
        problems.append(Problem(
            "notes-unknown-moderation", found.file,
            f"the notes name the moderation exercise {name!r}, which the data do not hold "
            f"for {cycle}, so the auditors' leniency will not be shown",
            "the name of a moderation exercise of the same cycle in the data"
            + (f" ({', '.join(known)})" if known else
               " (there is none: see 'practice-review template --moderation')"),
            severity=WARNING, value=name, line=found.moderation_line))
    return problems


def cmd_summary(args: argparse.Namespace) -> int:
    """Print the two section-4 tables for every review found."""
    from review_lib.analysis.clustered import ratings_good_or_better
    from review_lib.analysis.summary import (
        count_table_text,
        good_or_better,
        headline_sentence,
        level_counts,
    )
    from review_lib.data.loading import load_programme
    from review_lib.data.sample import SYNTHETIC_NOTE
    from review_lib.files import is_synthetic

    paths = args.paths or [_default_data()]
    programme = load_programme(paths, args.questions)
    if any(is_synthetic(p) for p in paths):
        print(f"*** {SYNTHETIC_NOTE} ***\n")
    if programme.problems:
        print("Warnings:")
        _print_problems(programme.problems)
        print()
    for review in sorted(programme.reviews, key=lambda r: (r.cycle, r.council)):
        n_ratings = len(review.ratings)
        n_na = len(review.not_applicable)
        title = f"{review.council} {review.cycle} ({review.source})"
        print(title)
        print("=" * len(title))
        ratings = level_counts(review.ratings["rating"])
        na_note = f", plus {n_na} not applicable" if n_na else ""
        print(count_table_text(ratings, f"Question ratings ({n_ratings} rated{na_note}):"))
        print()
        judgements = level_counts(review.judgements["judgement"])
        print(count_table_text(judgements, f"Overall judgements ({review.n_cases} cases):"))
        print()
        print(headline_sentence(review.judgements["judgement"]))
        share = good_or_better(review.judgements["judgement"])
        rated = ratings_good_or_better(review.ratings)
        print(f"Cases Good or better: {share.describe()}.")
        print(f"Question ratings Good or better: {rated.describe()}.")
        print()
    print(f"{len(programme.reviews)} review(s) in {len(programme.councils)} council(s), "
          f"cycles {', '.join(programme.cycles)}.")
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    """Write a blank data-entry workbook: a review's, or with --moderation an exercise's."""
    from review_lib.data.template import write_moderation_template, write_template

    if args.notes:
        return _notes_template(args)
    if args.form:
        return _form_template(args)
    if args.council or args.cycle:
        print("error: --council and --cycle fill in audit forms (--form FOLDER)",
              file=sys.stderr)
        return EXIT_USAGE
    if args.out and args.moderation:
        print("error: give either OUT.xlsx (a review) or --moderation OUT.xlsx (a moderation "
              "exercise), not both", file=sys.stderr)
        return EXIT_USAGE
    target = args.moderation or args.out
    if not target:
        print("error: name the workbook to write: practice-review template OUT.xlsx, or "
              "practice-review template --moderation OUT.xlsx", file=sys.stderr)
        return EXIT_USAGE
    out = Path(target)
    if out.suffix.lower() != ".xlsx":
        print(f"error: {target}: the template must be an .xlsx file", file=sys.stderr)
        return EXIT_USAGE
    if out.exists() and not args.force:
        print(f"error: {target} already exists; use --force to replace it",
              file=sys.stderr)
        return EXIT_USAGE
    if args.moderation:
        auditors = 5 if args.auditors is None else args.auditors
        cases = 8 if args.cases is None else args.cases
        if not 2 <= auditors <= 26 or cases < 1:
            print("error: a moderation exercise needs 2 to 26 auditors (--auditors) and at "
                  "least one case (--cases)", file=sys.stderr)
            return EXIT_USAGE
        write_moderation_template(out, args.questions, n_auditors=auditors, n_cases=cases)
        print(f"Wrote {target}: a moderation exercise for {auditors} auditors and {cases} "
              "cases. Fill in the Review sheet (the exercise's name, cycle and the auditors' "
              "labels), then a Ratings row per case and auditor (and the agreed Consensus "
              "row); keep it in the cycle's moderation/ folder and check it with: "
              f"practice-review validate {target}")
        return EXIT_OK
    if args.auditors is not None:
        print("error: --auditors is for moderation exercises (--moderation OUT.xlsx)",
              file=sys.stderr)
        return EXIT_USAGE
    write_template(out, args.questions, n_cases=20 if args.cases is None else args.cases)
    print(f"Wrote {target}: fill in the Review sheet and one Ratings row per case, then "
          f"check it with: practice-review validate {target}")
    return EXIT_OK


def _form_template(args: argparse.Namespace) -> int:
    """Audit forms: a folder of one per case, or (OUT.xlsx) one blank form to copy."""
    from review_lib.data.catalogue import load_catalogue
    from review_lib.data.forms import FORMS_SUFFIX, write_form, write_forms
    from review_lib.data.records import normalise_cycle

    if args.out or args.moderation or args.auditors is not None:
        print("error: --form writes audit forms on their own: practice-review template "
              "--form data/mine/2024/testshire-forms --council Testshire --cycle 2024",
              file=sys.stderr)
        return EXIT_USAGE
    if args.cycle and normalise_cycle(args.cycle) is None:
        print(f"error: --cycle {args.cycle!r} is not a programme cycle; expected a year such "
              "as 2019 or a span such as 2022-24", file=sys.stderr)
        return EXIT_USAGE
    catalogue = load_catalogue(args.questions)
    cycle = normalise_cycle(args.cycle) if args.cycle else ""
    out = Path(args.form)
    if out.suffix.lower() == ".xlsx":
        if args.cases is not None:
            print("error: --cases is for a folder of forms; OUT.xlsx writes one form to copy",
                  file=sys.stderr)
            return EXIT_USAGE
        if out.exists() and not args.force:
            print(f"error: {args.form} already exists; use --force to replace it",
                  file=sys.stderr)
            return EXIT_USAGE
        write_form(out, catalogue, council=args.council or "", cycle=cycle)
        print(f"Wrote {args.form}: one blank audit form. Copy it once per case record into "
              f"the review's forms folder (named <council>{FORMS_SUFFIX}, e.g. "
              f"testshire{FORMS_SUFFIX}), fill in each, then check them with: "
              "practice-review validate FOLDER")
        return EXIT_OK
    if out.exists() and any(out.glob("*.xlsx")) and not args.force:
        print(f"error: {args.form} already holds forms; use --force to write over them",
              file=sys.stderr)
        return EXIT_USAGE
    cases = 20 if args.cases is None else args.cases
    if cases < 1:
        print("error: --cases must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    written = write_forms(out, catalogue, council=args.council or "", cycle=cycle,
                          n_cases=cases)
    hint = ("" if out.name.casefold().endswith(FORMS_SUFFIX) else
            f" Rename the folder to end in '{FORMS_SUFFIX}' (such as "
            f"testshire{FORMS_SUFFIX}): only such a folder is read as a review.")
    print(f"Wrote {len(written)} blank audit forms in {args.form}, one per case record"
          + (", council and cycle filled in" if args.council and cycle else "")
          + ". Give each auditor the forms of their cases; spare blank forms are skipped "
          f"with a warning.{hint} Check them with: practice-review validate {args.form}")
    return EXIT_OK


def cmd_evidence_pack(args: argparse.Namespace) -> int:
    """Write the review team's internal evidence pack of one or more reviews."""
    from review_lib.data.loading import load_programme
    from review_lib.paths import REPORTS_DIR
    from review_lib.report.evidence_pack import write_evidence_pack

    programme = load_programme(args.data or _default_data(), args.questions)
    cycle = args.cycle or programme.cycles[-1]
    reports = Path(args.reports) if args.reports else REPORTS_DIR
    status = EXIT_OK
    for council in args.council:
        review = programme.review(council, cycle)
        if not review.has_evidence:
            print(f"error: {review.council} {cycle} holds no auditors' evidence (its data "
                  "file has no 'Evidence Q1' ... columns, nor forms with evidence)",
                  file=sys.stderr)
            status = EXIT_INVALID
            continue
        for path in write_evidence_pack(review, reports, programme, force=True):
            shown = path.relative_to(reports) if path.is_relative_to(reports) else path.name
            print(f"Wrote {shown} (internal: for the review team only)")
    return status


def _notes_template(args: argparse.Namespace) -> int:
    from review_lib.data.notes_template import write_notes_template

    if args.out or args.moderation or args.auditors is not None or args.cases is not None:
        print("error: --notes writes a notes file on its own: practice-review template "
              "--notes dudley.md", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.notes)
    if out.suffix.lower() != ".md":
        print(f"error: {args.notes}: a notes file is Markdown (.md); teams who write in Word "
              "use the same headings in a .docx (see docs/notes.md)", file=sys.stderr)
        return EXIT_USAGE
    if out.exists():
        if not args.force:
            print(f"error: {args.notes} already exists; use --force to replace it",
                  file=sys.stderr)
            return EXIT_USAGE
        out.unlink()
    # The README's own example names a review's folder that may not exist yet.
    out.parent.mkdir(parents=True, exist_ok=True)
    write_notes_template(out)
    print(f"Wrote {args.notes}: a blank notes file with guidance under each heading. Keep it "
          "beside the review's data file, with the same name, and check it with: "
          f"practice-review validate {out.parent}")
    return EXIT_OK


def _default_data() -> Path:
    from review_lib.paths import SAMPLE_DIR

    return SAMPLE_DIR


def _find_paths(args: argparse.Namespace) -> None:
    """Data paths as the library finds them: from here, else from the project root.

    ``practice-review validate data/mine`` then means the same from the project root and
    from ``notebooks/``, as ``load_programme("data/mine")`` does.
    """
    from review_lib.paths import find_path

    if getattr(args, "paths", None):
        args.paths = [str(find_path(p)) for p in args.paths]
    for name in ("data", "questions"):
        if getattr(args, name, None):
            setattr(args, name, str(find_path(getattr(args, name))))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``practice-review`` command.

    Returns
    -------
    argparse.ArgumentParser
        With sub-commands validate, summary, template and (when available) run.
    """
    parser = argparse.ArgumentParser(
        prog="practice-review",
        description="Practice Review analysis suite: audit ratings to tables, charts and "
                    "findings.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show full details of unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def questions_option(p):
        p.add_argument("--questions", metavar="FILE",
                       help="question catalogue CSV (default: the bundled 12 questions)")

    validate = sub.add_parser("validate", help="check review and moderation files and list "
                                                "every problem")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    questions_option(validate)
    validate.set_defaults(func=cmd_validate)

    summary = sub.add_parser("summary", help="print the section-4 tables of every review")
    summary.add_argument("paths", nargs="*", metavar="PATH",
                         help="files or folders (default: the bundled synthetic sample)")
    questions_option(summary)
    summary.set_defaults(func=cmd_summary)

    template = sub.add_parser(
        "template", help="write a blank data-entry workbook (a review, a moderation "
                         "exercise with --moderation) or a notes file (--notes)")
    template.add_argument("out", metavar="OUT.xlsx", nargs="?",
                          help="the review workbook to write")
    template.add_argument("--moderation", metavar="OUT.xlsx",
                          help="write a moderation exercise instead: every auditor rates "
                               "the same cases")
    template.add_argument("--cases", type=int, default=None,
                          help="case rows (default 20; 8 for a moderation exercise)")
    template.add_argument("--auditors", type=int, default=None,
                          help="auditors of a moderation exercise (default 5)")
    template.add_argument("--notes", metavar="NOTES.md",
                          help="write a blank review-team notes file instead, with guidance "
                               "under each heading (docs/notes.md)")
    template.add_argument("--form", metavar="FOLDER or FORM.xlsx",
                          help="write per-case audit forms instead (a rating drop-down and "
                               "an evidence box per question): a folder of one per case "
                               "(--cases, default 20), or one blank form to copy")
    template.add_argument("--council", help="with --form: the council, on every form")
    template.add_argument("--cycle", help="with --form: the cycle, on every form")
    template.add_argument("--force", action="store_true", help="replace an existing file")
    questions_option(template)
    template.set_defaults(func=cmd_template)

    pack = sub.add_parser(
        "evidence-pack", help="write the review team's internal evidence pack of a review "
                              "(the auditors' evidence, question by question)")
    pack.add_argument("--council", action="append", required=True,
                      help="the council (repeat for several)")
    pack.add_argument("--cycle", help="the cycle (default: the latest in the data)")
    pack.add_argument("--data", metavar="PATH",
                      help="data folder or file (default: the bundled synthetic sample)")
    pack.add_argument("--reports", metavar="FOLDER",
                      help="reports folder (default: reports/); the pack goes in "
                           "<cycle>/internal/")
    questions_option(pack)
    pack.set_defaults(func=cmd_evidence_pack)

    _add_run_command(sub)
    return parser


def _add_run_command(sub) -> None:
    try:
        from review_lib.batch.run import add_run_parser
    except ImportError:
        return
    add_run_parser(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        0 on success, 1 when input data has errors, 2 on usage errors, 3 on an
        unexpected failure.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    func: Callable[[argparse.Namespace], int] = args.func
    _find_paths(args)
    try:
        return func(args)
    except DataValidationError as exc:
        errors = exc.errors
        print(f"The input data has {len(errors)} error(s); nothing was produced.",
              file=sys.stderr)
        _print_problems(exc.problems, sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        # The reader closed the pipe (e.g. `| head`): stop quietly.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("Interrupted. Reports already finished are kept and nothing is half-written; "
              "run the command again to finish.", file=sys.stderr)
        return 130
    except (OSError, KeyError, ValueError) as exc:
        if args.debug:
            raise
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        if args.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc}\n"
              "Please report this; rerun with --debug for details.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
