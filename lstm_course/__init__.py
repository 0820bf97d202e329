"""lstm_course: the reference LSTM of the course, in the article's notation, verified against PyTorch.

Modules, in the order the course uses them:

    activations   σ and tanh, and their derivatives from outputs
    gates         forget_gate, input_gate, candidate_memory, cell_state, output_gate, hidden_state
    cell          lstm_cell_forward / lstm_cell_backward (one step)
    sequence      lstm_forward / lstm_backward (a sequence, BPTT; the teaching path)
    fast          lstm_forward_fast / lstm_backward_fast (the same numbers, fused; training uses it)
    rnn           a vanilla tanh RNN, for the vanishing-gradient comparison
    params        parameter dicts, init_lstm_params (forget-gate bias), checks
    torch_bridge  from_torch / to_torch: PyTorch's (i, f, g, o) layout <-> the article's W_f, b_f, ...
    gradcheck     numerical_gradient, check_gradient, relative_error
    losses, optim mse_loss, softmax_cross_entropy; SGD, Adam, clip_grad_norm
    model         LSTM + linear readout: init_model, loss_and_grads, train_step, fit, predict

Above the numerics (imported on demand, not here):

    tasks, datasets        synthetic tasks (agreement, store, recall) and the shipped real data sets
    viz, widgets           the cell diagram and kernel-free precomputed explorers for the book
    experiments            one module per chapter: the computations whose outcomes the book states
    torch_models, variants PyTorch models for the long-range and variant comparisons
    course                 the table of exercises and points (the one list)
    exercises              notebook tooling: learner-function loader, public checks, sync, release
    grading                the sandboxed autograder behind ``lstm-course grade``

Shape legend: N batch, T time, D input size, H hidden size, O output size.
"""
from .activations import sigmoid, sigmoid_grad_from_output, tanh, tanh_grad_from_output
from .cell import lstm_cell_backward, lstm_cell_forward
from .fast import gate_trace, lstm_backward_fast, lstm_forward_fast
from .gates import candidate_memory, cell_state, concat_hx, forget_gate, hidden_state, input_gate, output_gate
from .gradcheck import check_gradient, numerical_gradient, relative_error
from .losses import mse_loss, softmax, softmax_cross_entropy
from .model import fit, init_model, loss_and_grads, predict, shuffled_batches, train_step
from .optim import SGD, Adam, clip_grad_norm
from .params import LSTM_KEYS, init_lstm_params, init_rnn_params
from .rnn import rnn_backward, rnn_forward
from .sequence import lstm_backward, lstm_forward

__version__ = "0.1.0"
