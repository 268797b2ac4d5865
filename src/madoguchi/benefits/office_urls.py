"""The office's benefit pages, mounted at /office/benefits/ inside i18n_patterns (namespace "benefits")."""

from django.urls import path

from madoguchi.benefits import desk_views, letter_views, office_views

app_name = "benefits"
urlpatterns = [
    path("", office_views.program_list, name="programs"),
    # The staff desk (counter and paper applications); before "<slug>/" so that no program shadows it.
    path("desk/", desk_views.desk_home, name="desk_home"),
    path("desk/banks/", desk_views.bank_lookup, name="bank_lookup"),
    path("<slug:slug>/", office_views.dashboard, name="dashboard"),
    path("<slug:slug>/figures.csv", office_views.dashboard_csv, name="dashboard_csv"),
    path("<slug:slug>/conflicts/", office_views.conflicts, name="conflicts"),
    path("<slug:slug>/approve/", office_views.approve, name="approve"),
    path("<slug:slug>/export/", office_views.export, name="export"),
    path("<slug:slug>/desk/", desk_views.desk, name="desk"),
    path("<slug:slug>/counter/<int:person_id>/", desk_views.counter_entry, name="counter_entry"),
    path("<slug:slug>/paper/person/<int:person_id>/", desk_views.paper_person, name="paper_person"),
    path("<slug:slug>/paper/<str:number>/", desk_views.paper_entry, name="paper_entry"),
    path("<slug:slug>/receipt/<str:number>/", desk_views.receipt, name="receipt"),
    path("<slug:slug>/applications/<str:number>/", desk_views.application_detail, name="application"),
    path("<slug:slug>/applications/<str:number>/decide/", desk_views.decide, name="decide"),
    path("<slug:slug>/letters/", letter_views.print_batch, name="letters"),
]
