"""The readiness check of the day before (kiểm tra sẵn sàng): each leader's phone proves it can work offline, and
the commune, hotline and committees see which stations are not ready and whom to call."""
