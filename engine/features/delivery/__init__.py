"""Delivery and supervision of chosen projects: late milestones, escalations, the dashboard.

What a project has (its responsibility list, milestones, progress reports, follow-up actions) is
stored as sheets on it; `delivery/*.yaml` says which forms and fields mean what. From those this
package derives a project's figures (milestones behind, progress, overdue follow-ups ...), raises
flags (a late milestone, once, through the deadline mechanism; an escalation rule that starts to
hold, checked by `minsheng tick`) and clears them when they no longer hold. Every flag keeps the
rule, the policy version and words a citizen can read.

The package's public names, used by the apps, the jobs, the output layer and the demo, are these;
its modules: `specs` (which spec, from which date), `figures` (the kept figures and the scorecard
in SQL), `flags`, `status` (a project's status and the supervisors' views), `milestones` (the hooks
into filing, moving and deadlines) and `escalations` (the rules `tick` applies).
"""
from engine.features.delivery.escalations import EscalationReport, check_escalations
from engine.features.delivery.figures import TownshipScore
from engine.features.delivery.flags import Alert, NewFlag, alerts_for, flags_of, open_flags, raise_flags
from engine.features.delivery.public import PublicProject, public_project, public_projects, public_townships
from engine.features.delivery.milestones import default_values, defaults_for, milestones_due
from engine.features.delivery.specs import DEADLINE_PREFIX, OVERDUE, spec, spec_for_form, started_on
from engine.features.delivery.status import (Milestone, ProjectStatus, day_figures, figures_of, keep_figures,
                                             kept_day_figures, project_statuses, refresh_figures,
                                             responsibility_headings, responsibility_rows, scorecard, status_forms,
                                             statuses)

__all__ = ["DEADLINE_PREFIX", "OVERDUE", "Alert", "EscalationReport", "PublicProject", "public_project",
           "public_projects", "public_townships", "Milestone", "NewFlag", "ProjectStatus", "TownshipScore",
           "alerts_for", "check_escalations", "day_figures", "default_values", "defaults_for", "figures_of", "flags_of",
           "keep_figures", "kept_day_figures", "milestones_due", "open_flags", "project_statuses", "raise_flags",
           "refresh_figures", "responsibility_headings", "responsibility_rows", "scorecard", "spec", "spec_for_form",
           "started_on", "status_forms", "statuses"]
