"""MediaPipe Pose landmark indices and names ("left" is the person's own left)."""

from __future__ import annotations

NUM_LANDMARKS = 33

NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
INDEX = {name: i for i, name in enumerate(NAMES)}

NOSE = 0
LEFT_EAR, RIGHT_EAR = 7, 8
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_ELBOW, RIGHT_ELBOW = 13, 14
LEFT_WRIST, RIGHT_WRIST = 15, 16
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
LEFT_HEEL, RIGHT_HEEL = 29, 30
LEFT_TOE, RIGHT_TOE = 31, 32

# Paired body parts, (left, right): the joints the analysis reads on one side at a time.
SIDE_JOINTS = {
    "ear": (LEFT_EAR, RIGHT_EAR),
    "shoulder": (LEFT_SHOULDER, RIGHT_SHOULDER),
    "elbow": (LEFT_ELBOW, RIGHT_ELBOW),
    "wrist": (LEFT_WRIST, RIGHT_WRIST),
    "hip": (LEFT_HIP, RIGHT_HIP),
    "knee": (LEFT_KNEE, RIGHT_KNEE),
    "ankle": (LEFT_ANKLE, RIGHT_ANKLE),
    "heel": (LEFT_HEEL, RIGHT_HEEL),
    "toe": (LEFT_TOE, RIGHT_TOE),
}

# The mirror permutation: index i of a body seen with left and right swapped.
MIRROR = tuple(
    INDEX[n.replace("left", "#").replace("right", "left").replace("#", "right")] for n in NAMES
)
