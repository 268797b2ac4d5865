"""Office pages of the rules; the project mounts them at office/rules/ inside i18n_patterns (namespace "automation")."""

from django.urls import path

from madoguchi.automation import office_views

app_name = "automation"
urlpatterns = [
    path("", office_views.rule_list, name="rules"),
    path("firings/", office_views.firing_list, name="firings"),
    path("tasks/", office_views.task_list, name="tasks"),
    path("tasks/<int:task_id>/", office_views.task_action, name="task_action"),
    path("stuck/", office_views.stuck_list, name="stuck"),
    path("stuck/<int:action_id>/retry/", office_views.stuck_retry, name="stuck_retry"),
]
