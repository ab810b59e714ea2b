from axes.backends import AxesStandaloneBackend


class LoginRateLimitBackend(AxesStandaloneBackend):
    """django-axes' lockout check for logins over the network.

    ``authenticate()`` calls without a request (the test client's ``login()``, scripts) cannot be counted per
    address; axes would raise for them, so they pass through to the next backend unchanged.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
