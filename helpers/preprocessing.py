"""Preprocessing layers that let every model in the zoo take RGB images in [0, 1].

They are registered Keras classes (not ``Lambda`` layers), so models that hold
them still save and load with ``safe_mode=True``.
"""

from __future__ import annotations

import keras
from keras import ops

#: The ImageNet channel means used by the original Caffe VGG models, in BGR order.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


@keras.saving.register_keras_serializable(package="helpers")
class CaffePreprocess(keras.layers.Layer):
    """RGB in [0, 1] -> BGR in [0, 255] minus the ImageNet mean (VGG16's "caffe" mode)."""

    def call(self, x):
        x = ops.flip(x * 255.0, axis=-1)  # RGB -> BGR
        return x - ops.convert_to_tensor(CAFFE_MEAN_BGR, dtype=x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


#: ImageNet mean and standard deviation of the "torch" preprocessing (DenseNet), RGB.
TORCH_MEAN, TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@keras.saving.register_keras_serializable(package="helpers")
class TorchPreprocess(keras.layers.Layer):
    """RGB in [0, 1] -> (x - mean) / std with the ImageNet statistics (keras.applications' "torch" mode)."""

    def call(self, x):
        mean = ops.convert_to_tensor(TORCH_MEAN, dtype=x.dtype)
        return (x - mean) / ops.convert_to_tensor(TORCH_STD, dtype=x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="helpers")
class ChannelMean(keras.layers.Layer):
    """RGB ``[..., 3]`` -> one channel ``[..., 1]``, the mean of R, G and B (for grayscale models).

    The mean (not the luminance weights) sends the same gradient to the three
    channels, so an image optimised through it stays gray when it starts gray.
    """

    def call(self, x):
        return ops.mean(x, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (1,)
