"""URLs of the paper intake's office pages, mounted at /office/intake/ inside i18n_patterns (namespace "intake")."""

from django.urls import path

from madoguchi.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("classify/", views.classify_list, name="classify_list"),
    path("classify/<int:pk>/", views.classify, name="classify"),
    path("verify/", views.verify_next, name="verify_next"),
    path("verify/<int:pk>/", views.verify, name="verify"),
    path("forms/<int:pk>/", views.form_detail, name="form"),
    path("pages/<int:pk>/image.png", views.page_image, name="page_image"),
    path("readings/<int:pk>/crop.png", views.crop, name="crop"),
]
