app_name = "buyer"
urlpatterns = []
