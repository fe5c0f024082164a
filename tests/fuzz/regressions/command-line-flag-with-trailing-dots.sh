torchrun --nproc-per-node=2 main.py \
    --do_train \
    --learning_rate 2e-5 \
    --save_steps... 500 \
    --logging_steps. 10
