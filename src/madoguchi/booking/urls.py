from django.urls import path

from madoguchi.booking import views

app_name = "booking"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.my_bookings, name="mine"),
    path("kiosk/", views.kiosk, name="kiosk"),
    path("kiosk/walk-in/", views.kiosk_walk_in, name="walk_in"),
    path("ticket/<str:token>/", views.ticket, name="ticket"),
    path("display/", views.display, name="display"),
    path("display/feed/", views.display_feed, name="display_feed"),
    path("waiting/", views.waiting, name="waiting"),
    path("done/<str:token>/", views.done, name="done"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/change/", views.change, name="change"),
    path("<slug:code>/", views.choose, name="choose"),
]
