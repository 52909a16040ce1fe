"""Character-level text generators: CharRNN (LSTM/GRU/RNN) and the CharMarkov baseline."""

from textkit.charrnn.generator import CharGenerator, Sample
from textkit.charrnn.markov import CharMarkov
from textkit.charrnn.rnn import PRESETS, CharRNN, choose_preset

__all__ = ["PRESETS", "CharGenerator", "CharMarkov", "CharRNN", "Sample", "choose_preset"]
