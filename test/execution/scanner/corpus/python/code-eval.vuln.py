def calculate(expression):
    result = eval(expression)
    exec("print(%s)" % expression)
    return result
