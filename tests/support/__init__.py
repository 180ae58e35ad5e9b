"""What only the tests share: ``helpers`` (builders of frames, images and detections, a stand-in
detector). What the tools use as well (the page driver, the test videos, the paths) is in tools/testkit."""
