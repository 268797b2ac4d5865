from django.urls import path

from madoguchi.booking import office_views

app_name = "booking_office"
urlpatterns = [
    path("", office_views.home, name="home"),
    path("phone/", office_views.phone_booking, name="phone"),
    path("today/<slug:window>/", office_views.today, name="today"),
    path("call/<slug:window>/", office_views.call, name="call"),
    path("check-in/<int:pk>/", office_views.check_in, name="check_in"),
    path("manage/<str:section>/", office_views.object_list, name="list"),
    path("manage/<str:section>/new/", office_views.object_edit, name="new"),
    path("manage/<str:section>/<int:pk>/", office_views.object_edit, name="edit"),
]
