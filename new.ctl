progress 0 503
