"""The preview helper process's lanes: storyboard durations yield to the scene being
previewed, other lanes do not wait for it."""

from __future__ import annotations

import threading
import time

from ui import helper


def test_durations_wait_for_a_running_preview_and_thumbnails_do_not():
    helper.start()
    try:
        helper.call("thumbnails", time.time)  # the helper is up
        started = time.time()
        preview = threading.Thread(target=helper.call, args=("preview", time.sleep, 2.0))
        preview.start()
        time.sleep(0.4)  # the preview call is running in the helper
        thumbnail_at = helper.call("thumbnails", time.time)
        duration_at = helper.call("durations", time.time)
        preview.join(30)
        assert thumbnail_at - started < 1.5  # not held up by the preview
        assert duration_at - started >= 1.9  # started once the preview was done
    finally:
        helper.shutdown()
