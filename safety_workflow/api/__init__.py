"""The REST API: DRF views, input and output serializers, permissions and filters."""
