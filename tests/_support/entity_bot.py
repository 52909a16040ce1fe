"""A small annotated chatbot: three intents, cities, party sizes and times."""

BOT = {
    "intents": [
        {"tag": "weather", "responses": ["Here is the weather for {city}."], "patterns": [
            "weather in [Paris](city)", "is it cold in [Oslo](city)",
            "forecast for [Rome](city) tomorrow", "will it rain in [Berlin](city)",
            "how hot is it in [Madrid](city)", "weather [London](city)",
            "what's the weather like in [New York](city)", "temperature in [Tokyo](city) please",
            "any snow in [Zürich](city) today", "is it sunny in [Lisbon](city)",
            "weather for [São Paulo](city)", "rain in [Dublin](city)?"]},
        {"tag": "greet", "responses": ["Hi!"], "patterns": [
            "hello", "hi there", "good morning", "hey", "hello again", "good evening"]},
        {"tag": "book", "responses": ["A table for {people} at {time}."], "patterns": [
            "book a table for [4](people)", "a table for [two]{\"entity\": \"people\", \"value\": \"2\"} at [7pm](time)",
            "reserve for [6](people) at [8pm](time)", "table for [3](people) please",
            "book [5](people) people at [noon](time)", "can I get a table for [2](people) at [9pm](time)",
            "reserve a table at [6pm](time)", "book for [8](people) tonight at [7:30pm](time)",
            "we are [4](people), at [1pm](time)", "a table at [8pm](time) for [2](people)"]},
    ]
}  # fmt: skip
