app_name = "buyer-api"
urlpatterns = []
