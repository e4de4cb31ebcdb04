"""The real archive's column layout, written out by hand from its documented format (the course's specification of
WikiArt Emotions, checked on a copy of the archive). One copy for every test that compares the package or the sample
with the real files; deliberately not read from ``course_utils.data.schema``, which is what these tests check.
"""

#: The 12 descriptive columns that open every annotation file.
META = [
    "ID",
    "Style",
    "Category",
    "Artist",
    "Title",
    "Year",
    "Image URL",
    "Painting Info URL",
    "Artist Info URL",
    "Is painting",
    "Face/body",
    "Ave. art rating",
]
EMOTIONS = [
    "agreeableness",
    "anger",
    "anticipation",
    "arrogance",
    "disagreeableness",
    "disgust",
    "fear",
    "gratitude",
    "happiness",
    "humility",
    "love",
    "optimism",
    "pessimism",
    "regret",
    "sadness",
    "shame",
    "shyness",
    "surprise",
    "trust",
    "neutral",
]
SCOPES = ["Art (image+title)", "ImageOnly", "TitleOnly"]
#: The All file's header: the descriptive columns, then 3 scopes × the 20 emotions.
HEADER = META + [f"{scope}: {emotion}" for scope in SCOPES for emotion in EMOTIONS]
